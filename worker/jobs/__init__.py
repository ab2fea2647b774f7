"""RQ: the inbox dispatcher, the queue's rules, the worker seam, schedules, job bodies."""
