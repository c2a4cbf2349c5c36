"""Durable message queues behind one interface (``base``): embedded (SQL tables) or RabbitMQ."""
