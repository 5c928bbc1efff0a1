// generation pages
