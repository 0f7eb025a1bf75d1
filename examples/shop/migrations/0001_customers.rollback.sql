-- back to level 0: nothing of the shop left
DROP TABLE shop.customers;
DROP SCHEMA shop;
