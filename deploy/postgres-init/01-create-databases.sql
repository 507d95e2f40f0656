-- Run by the postgres image once, when its data volume is empty
-- (/docker-entrypoint-initdb.d). One database per service that owns
-- PostgreSQL data: no service opens another service's database (SPEC §1).
-- Each service creates its own tables by applying its migrations at start.
CREATE DATABASE bellyfed_catalog;
CREATE DATABASE bellyfed_rankings;
CREATE DATABASE bellyfed_orders;
