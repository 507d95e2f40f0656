"""Orders rules: plain functions over the store (and the catalog client); no nameko."""
