def handler(event, context):
    print(f"fired by {event.get('source')}")
    return {"ok": True}
