"""The one error type of the endpoint: an AWS JSON 1.1 error answer."""


class ServiceError(Exception):
    """An error answered to the client as AWS does for JSON 1.1 services:
    HTTP status, header x-amzn-ErrorType and a body {"__type", "message"}.
    message_key is "Message" for the few codes whose model shape spells it so."""

    def __init__(self, code, message, status=400, message_key="message"):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.message_key = message_key

    def body(self):
        return {"__type": self.code, self.message_key: self.message}
