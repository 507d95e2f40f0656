"""The gateway's routes, grouped by area (mixed into GatewayService)."""
