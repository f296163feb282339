"""Infrastructure tests: the synthesised CDK stack, cdk-nag, topology parity, deployment into moto."""
