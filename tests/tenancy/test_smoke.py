from clients.models import Client
from tests.factories import ClientFactory


def test_client_created_in_scope(scope_a):
    ClientFactory()
    assert Client.objects.count() == 1
