"""The Nominal codes section: its page keeps the chart of nominal codes (actions and menus of its own)."""

from __future__ import annotations

from desktop.ui.common.section import Host, Section
from desktop.ui.nominal_codes.nominal_codes_section import NominalCodesSection


class NominalCodes(Section):
    key = "nominal_codes"
    title = "Nominal codes"

    def __init__(self, host: Host):
        super().__init__(host)
        self.page = NominalCodesSection(host.db)
