"""Fine-tuning: the training loop, checkpoints, schedule, logging and DDP helpers."""
