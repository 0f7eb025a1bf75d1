-- level 2: orders of known customers, a positive quantity at a price that is not negative
CREATE TABLE shop.orders (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES shop.customers (id),
    qty         integer NOT NULL CHECK (qty > 0),
    unit_price  numeric(10, 2) NOT NULL CHECK (unit_price >= 0)
);
CREATE INDEX orders_customer_id ON shop.orders (customer_id);
