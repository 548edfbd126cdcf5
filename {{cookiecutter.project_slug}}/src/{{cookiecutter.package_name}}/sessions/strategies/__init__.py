"""Session strategies; generation keeps only the chosen one."""
