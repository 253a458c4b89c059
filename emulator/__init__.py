"""HTTPS emulator of ConnectWise PSA and Cisco Umbrella for msp.umbrella_psa (not part of the collection)."""
