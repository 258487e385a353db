"""Onboarding on Access Request PQs: the staff checklist and the access coordinators ask for."""
