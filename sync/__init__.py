"""CRM connectors behind one small interface, and the outbox worker that drives them."""
