-- The TRAQS host a credential is used with, when not its environment's own (an emulator, a
-- proxy). NULL: the environment's host.
ALTER TABLE traqs_credentials ADD COLUMN base_url TEXT;
