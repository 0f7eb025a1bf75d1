-- level 1: the shop's customers, in a schema of their own
CREATE SCHEMA shop;

CREATE TABLE shop.customers (
    id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL UNIQUE,
    name  text NOT NULL
);
