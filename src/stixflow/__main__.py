from stixflow.cli.main import main

main()
