"""Telling reps about the leads they get: a queue in the database, delivered after commit.

queue.py   rows written in the assigning transaction; claimed with a lease by senders
render.py  what the e-mail and the webhook say (French or English)
smtp.py    e-mail through the configured SMTP server
webhook.py a signed, Slack-compatible JSON POST
sender.py  `run_once` / `run_forever` / `start_thread`: claim, deliver, mark, retry with backoff
"""
