"""Reports the bureaus accept: inspection reports (HTML, XLSX, DOCX) with charts, and evidence packs."""
