-- back to level 2: the orders keep their rows, only the derived column and the view go
DROP VIEW shop.customer_totals;
ALTER TABLE shop.orders DROP COLUMN total;
