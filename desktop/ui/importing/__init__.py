"""Importing customers from CSV and Excel: the preview dialog and the Import history section."""
