"""File adapters: the ERP exchange files (CSV and Parquet) and the queries behind them."""
