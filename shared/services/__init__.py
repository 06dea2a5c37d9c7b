"""Domain rules, one module per resource group; they call repositories, never AWS directly."""
