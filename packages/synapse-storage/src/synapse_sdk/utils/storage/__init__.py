"""Storage providers behind one protocol: local, S3, GCS, SFTP and HTTP."""
