"""The Access Request signed in the portal: requester, direct supervisor, agency authorized signer."""
