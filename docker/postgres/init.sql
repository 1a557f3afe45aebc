-- The application connects as a role that cannot bypass row-level security.
CREATE ROLE recouvrement LOGIN PASSWORD 'recouvrement' NOSUPERUSER NOBYPASSRLS NOCREATEROLE;
CREATE DATABASE recouvrement OWNER recouvrement;
