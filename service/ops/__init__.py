"""Operations: the health report (`relief doctor`), the gauges read from the database at each
scrape, and the demo data."""
