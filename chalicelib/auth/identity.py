"""Cognito user pool adapter: logins and client accounts."""

from __future__ import annotations

import contextlib
from typing import Any

from chalicelib.errors import Conflict, DependencyFailed, FieldError, InvalidCredentials, ValidationFailed


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
        except (errors.NotAuthorizedException, errors.UserNotFoundException, errors.UserNotConfirmedException,
                errors.PasswordResetRequiredException, errors.InvalidParameterException) as exc:
            # InvalidParameter: a username Cognito cannot even look up is no login either.
            raise InvalidCredentials() from exc
        result = answer.get("AuthenticationResult")
        if not result:  # a challenge (e.g. a temporary password) is not a login
            raise InvalidCredentials()
        return result["IdToken"], int(result.get("ExpiresIn", 3600))

    def create_login(self, email: str, password: str) -> str:
        """A new pool user for `email` with a permanent password; its sub.

        Never touches an existing user: an address that has one is a Conflict. A password the
        pool refuses leaves no user behind.
        """
        errors = self._cognito.exceptions
        try:
            answer = self._cognito.admin_create_user(
                UserPoolId=self._pool,
                Username=email,
                UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
                MessageAction="SUPPRESS",
            )
        except errors.UsernameExistsException as exc:
            raise Conflict("login_exists") from exc
        sub = next(a["Value"] for a in answer["User"]["Attributes"] if a["Name"] == "sub")
        try:
            self.set_password(email, password)
        except Exception:
            self.delete_login(email)
            raise
        return str(sub)

    def delete_login(self, email: str) -> None:
        """Undo a login that its activation could not finish."""
        with contextlib.suppress(self._cognito.exceptions.UserNotFoundException):
            self._cognito.admin_delete_user(UserPoolId=self._pool, Username=email)

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
