"""What the sections of the window share: workers, messages, views, settings, forms, icons and the section interface."""
