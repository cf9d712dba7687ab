-- Users of the shop. Usernames and emails are unique case-insensitively (lower() indexes) so
-- "Alice" and "alice" cannot both register; the stored value keeps the spelling the user chose.
CREATE SCHEMA IF NOT EXISTS users;

CREATE TABLE users.users (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  username      text NOT NULL CHECK (char_length(username) BETWEEN 3 AND 32),
  email         text NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254),
  password_hash text NOT NULL,
  role          text NOT NULL DEFAULT 'customer' CHECK (role IN ('customer', 'admin')),
  display_name  text CHECK (char_length(display_name) <= 100),
  phone         text CHECK (char_length(phone) <= 32),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX users_username_lower_key ON users.users (lower(username));
CREATE UNIQUE INDEX users_email_lower_key ON users.users (lower(email));
