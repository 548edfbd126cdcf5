"""One module per supported database; generation keeps the chosen one."""
