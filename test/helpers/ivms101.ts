// A travel-rule payload in IVMS101's shape (originator and beneficiary, a natural and a legal person), for
// the orchestrator's tests.
export const IVMS = {
  originator: {
    originatorPersons: [{ naturalPerson: { name: { nameIdentifier: [{ primaryIdentifier: 'Lovelace', secondaryIdentifier: 'Ada', nameIdentifierType: 'LEGL' }] } } }],
    accountNumber: ['cust-ada'],
  },
  beneficiary: {
    beneficiaryPersons: [{ legalPerson: { name: { nameIdentifier: [{ legalPersonName: 'Analytical Engines Ltd', legalPersonNameIdentifierType: 'LEGL' }] } } }],
    accountNumber: ['0x4242424242424242424242424242424242424242'],
  },
};
