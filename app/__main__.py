from app.cli import cli

# Guarded: a process the ingest command spawns (its helper) imports this module again.
if __name__ == "__main__":
    cli(prog_name="python -m app")
