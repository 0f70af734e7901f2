"""Data contracts: pandera-polars models per table and the rule catalogue, run over all reports at once."""
