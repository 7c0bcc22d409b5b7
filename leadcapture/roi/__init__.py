"""Event ROI: costs, CRM outcomes, exchange rates, attribution credits and the reports built on them.

One module per job: money (amounts and currencies), config (organisation
settings), rates, costs, outcomes (storing deals), touches (a person's touch
ledger), attribution (pure: touches + deal + config -> weights), credits
(materialise and check), reports, charts (SVG) and export (CSV/XLSX).
"""
