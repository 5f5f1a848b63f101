"""Cognito user pool adapter: logins and client accounts."""

from __future__ import annotations

from typing import Any

from chalicelib.errors import DependencyFailed, FieldError, InvalidCredentials, ValidationFailed


class CognitoIdentity:
    def __init__(self, cognito: Any, user_pool_id: str, client_id: str) -> None:
        self._cognito = cognito
        self._pool = user_pool_id
        self._client_id = client_id

    def login(self, email: str, password: str) -> tuple[str, int]:
        """The ID token and its lifetime in seconds; InvalidCredentials for any wrong pair."""
        errors = self._cognito.exceptions
        try:
            answer = self._cognito.initiate_auth(
                ClientId=self._client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": email, "PASSWORD": password},
            )
        except (errors.NotAuthorizedException, errors.UserNotFoundException,
                errors.UserNotConfirmedException, errors.PasswordResetRequiredException) as exc:
            raise InvalidCredentials() from exc
        result = answer.get("AuthenticationResult")
        if not result:  # a challenge (e.g. a temporary password) is not a login
            raise InvalidCredentials()
        return result["IdToken"], int(result.get("ExpiresIn", 3600))

    def create_user(self, email: str) -> str:
        """Create (or find) the pool user for `email` without sending Cognito's own mail; its sub."""
        errors = self._cognito.exceptions
        try:
            answer = self._cognito.admin_create_user(
                UserPoolId=self._pool,
                Username=email,
                UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
                MessageAction="SUPPRESS",
            )
            attributes = answer["User"]["Attributes"]
        except errors.UsernameExistsException:
            attributes = self._cognito.admin_get_user(UserPoolId=self._pool, Username=email)["UserAttributes"]
        return next(a["Value"] for a in attributes if a["Name"] == "sub")

    def set_password(self, email: str, password: str) -> None:
        errors = self._cognito.exceptions
        try:
            self._cognito.admin_set_user_password(
                UserPoolId=self._pool, Username=email, Password=password, Permanent=True
            )
        except errors.InvalidPasswordException as exc:
            raise ValidationFailed(FieldError("password", "weak_password")) from exc
        except errors.UserNotFoundException as exc:
            raise DependencyFailed() from exc
