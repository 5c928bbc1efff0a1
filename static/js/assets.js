// assets pages
