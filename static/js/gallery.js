// gallery pages
