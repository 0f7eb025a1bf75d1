-- back to level 1
DROP TABLE shop.orders;
