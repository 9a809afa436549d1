"""Scale-out of the planning run on Dask."""
