"""What a front-end meets: a generated TypeScript client and a real browser on another origin (make test-frontend)."""
