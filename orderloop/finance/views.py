"""Finance's pages: thin views over ``finance`` services and reads."""
