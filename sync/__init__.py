"""CRM connectors behind one small interface, and the outbox worker that drives them.

- base.py: the Connector interface, its results and errors
- records.py: leads as connectors see them, with their source attribution
- hubspot.py, salesforce.py, webhook.py, filedrop.py: one module per destination; registry.py lists them
- configs.py: stored connector configurations (secrets encrypted by crypto.py)
- outbox.py: the transactional outbox (enqueue, claim, results, dead letters)
- worker.py: claims due rows, pushes batches, retries with backoff

Nothing here imports Flask.
"""
