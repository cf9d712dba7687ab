-- A committed (sold) reservation whose order was refunded gives its stock back and becomes RETURNED.
ALTER TABLE catalog.reservations DROP CONSTRAINT reservations_status_check;
ALTER TABLE catalog.reservations ADD CONSTRAINT reservations_status_check
  CHECK (status IN ('RESERVED', 'COMMITTED', 'RELEASED', 'EXPIRED', 'RETURNED'));
