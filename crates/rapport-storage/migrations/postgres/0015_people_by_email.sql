-- Each reader's time zone is looked up by their email on every page that shows a time.
CREATE INDEX people_by_email ON people (LOWER(email));
