-- level 3: each order's total, and the totals per customer
ALTER TABLE shop.orders ADD COLUMN total numeric(12, 2) GENERATED ALWAYS AS (qty * unit_price) STORED;

CREATE VIEW shop.customer_totals AS
SELECT c.id AS customer_id, c.email, count(o.id) AS orders, coalesce(sum(o.total), 0) AS spent
FROM shop.customers c LEFT JOIN shop.orders o ON o.customer_id = c.id
GROUP BY c.id, c.email;
