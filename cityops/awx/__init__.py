"""AWX, for bureaus past one runner per zone: the execution environment and the job templates' private data dirs."""
