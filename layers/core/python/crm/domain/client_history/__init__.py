"""What a client's history is made of, kept beside the record it changed: one module per
capability that writes it, so a function's cold start loads only the history its requests use.

- `class_changes`: each change of its class (第4–6条) or VIP status (Part 4), and each year's
  metrics they follow from;
- `record_changes`: each change of its manager (第50条 2) or of its phone/e-mail (第35–36条);
- `questionnaires`: each risk questionnaire (第8条).

Apart from crm.domain.client: a capability that reads a client (a complaint, a callback, a visit)
needs the record, not its history.
"""
