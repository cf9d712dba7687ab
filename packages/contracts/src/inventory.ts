// Inventory reservation API (product service, internal). Owned by the user/product work.
export {};
