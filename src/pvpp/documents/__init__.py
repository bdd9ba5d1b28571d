"""Documents: PDFs rendered from templates, and the charts in them."""
